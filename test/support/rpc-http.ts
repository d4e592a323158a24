// Raw HTTP for the admin RPC's attack tests: requests with exactly the given headers (Host and
// Origin included, which fetch cannot set) and the check of the documented error shape.
import assert from 'node:assert/strict'
import { request } from 'node:http'

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  // biome-ignore lint/suspicious/noExplicitAny: the tests read the JSON answers' fields directly
  body: any
}

/** One HTTP request with exactly these headers (Host included, which fetch cannot set). */
export function http(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let parsed: unknown = text
        try {
          parsed = JSON.parse(text)
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** The documented error shape `{ error: { code, message } }`, with this code. */
export function assertErrorShape(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body))
  assert.equal(typeof answer.body, 'object', `not JSON: ${answer.body}`)
  assert.equal(answer.body.error?.code, code, JSON.stringify(answer.body))
  assert.equal(typeof answer.body.error.message, 'string')
  assert.ok(answer.body.error.message.length > 10)
}
