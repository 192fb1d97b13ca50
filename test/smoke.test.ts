import t from 'tap'
import { loadSettings } from '../src/settings.js'
t.test('settings defaults', async (t) => {
  const s = loadSettings({})
  t.equal(s.PORT, 8000)
})
