import { describe, expect, it } from 'vitest'
import { remember } from './remember.js'

describe('remember', () => {
  it('keeps at most limit entries, dropping the oldest inserted; returns the value', () => {
    const m = new Map<string, number>()
    for (let i = 0; i < 5; i++) expect(remember(m, `k${i}`, i, 3)).toBe(i)
    expect([...m.keys()]).toEqual(['k2', 'k3', 'k4'])
    // a key put again keeps the bound without dropping another
    remember(m, 'k3', 30, 3)
    expect([...m.entries()]).toEqual([['k2', 2], ['k3', 30], ['k4', 4]])
  })

  it('refuses a value that is not a Map and a limit that is not an integer >= 1', () => {
    for (const [map, limit] of [
      [undefined, 3],
      [{}, 3],
      [new Map(), 0],
      [new Map(), 1.5],
      [new Map(), '3'],
    ] as const) {
      expect(() => remember(map as never, 'k', 1, limit as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    }
  })
})
