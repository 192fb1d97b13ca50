# syntax=docker/dockerfile:1
# Build: compile TypeScript and stage the runtime files (scripts/stage-runtime.sh, also used by .ci/run).
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY scripts/stage-runtime.sh ./scripts/
RUN npm run build && scripts/stage-runtime.sh /runtime

# Runtime: slim Node 24 (the current LTS; CI runs the suite on it, see .ci/run), production dependencies only, non-root.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000
WORKDIR /app
COPY --from=build /runtime/package.json /runtime/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /runtime/dist ./dist
USER node
EXPOSE 8000
# HOST=0.0.0.0 needs API_TOKENS: without them the server refuses to start rather than run open.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/server.js"]
