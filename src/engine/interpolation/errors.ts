/** A template that cannot be compiled (syntax, unknown filter, too long or too deep): a load error. */
export class InterpolationError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'InterpolationError'
  }
}
