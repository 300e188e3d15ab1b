// A loopback stand-in for the Anthropic Messages API, enough for the real
// Claude Code CLI: POST /v1/messages answered with server-sent events (or one
// JSON message when the request does not stream). Replies are scripted per
// test; requests without tools (titles, summaries) get a short text.
import http from 'node:http'

export type Reply =
  | {text: string}
  | {tool: {name: string; input: Record<string, unknown>}}
  | {error: {status: number; type: string; message: string}}

export interface MessagesRequest {
  model: string
  stream?: boolean
  tools?: Array<{name: string}>
  messages: Array<{role: string; content: string | Array<Record<string, unknown>>}>
  system?: unknown
}

/** Decides the reply to a main-loop request (one that offers tools). */
export type Script = (req: MessagesRequest, turn: number) => Reply

export interface ModelServer {
  url: string
  requests: MessagesRequest[]
  close(): Promise<void>
}

/** The text of every message in a request, for scripts that look for a marker. */
export function conversationText(req: MessagesRequest): string {
  return JSON.stringify(req.messages)
}

/** Did the last user message carry a tool result? */
export function lastToolResult(req: MessagesRequest): string | undefined {
  const last = req.messages[req.messages.length - 1]
  if (!last || !Array.isArray(last.content)) return undefined
  const result = last.content.find((b) => b.type === 'tool_result')
  if (!result) return undefined
  return typeof result.content === 'string' ? result.content : JSON.stringify(result.content)
}

let counter = 0

function sse(res: http.ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
}

function send(res: http.ServerResponse, req: MessagesRequest, reply: Exclude<Reply, {error: unknown}>): void {
  const id = `msg_test_${++counter}`
  const usage = {input_tokens: 50, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0}
  const block =
    'text' in reply
      ? {type: 'text', text: reply.text}
      : {type: 'tool_use', id: `toolu_test_${counter}`, name: reply.tool.name, input: reply.tool.input}
  const stopReason = 'text' in reply ? 'end_turn' : 'tool_use'
  if (req.stream === false || req.stream === undefined) {
    res.writeHead(200, {'content-type': 'application/json', 'request-id': `req_${counter}`})
    res.end(JSON.stringify({id, type: 'message', role: 'assistant', model: req.model, content: [block], stop_reason: stopReason, stop_sequence: null, usage}))
    return
  }
  res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_${counter}`})
  sse(res, 'message_start', {type: 'message_start', message: {id, type: 'message', role: 'assistant', model: req.model, content: [], stop_reason: null, stop_sequence: null, usage: {...usage, output_tokens: 1}}})
  if ('text' in reply) {
    sse(res, 'content_block_start', {type: 'content_block_start', index: 0, content_block: {type: 'text', text: ''}})
    sse(res, 'content_block_delta', {type: 'content_block_delta', index: 0, delta: {type: 'text_delta', text: reply.text}})
  } else {
    sse(res, 'content_block_start', {type: 'content_block_start', index: 0, content_block: {type: 'tool_use', id: block.id, name: reply.tool.name, input: {}}})
    sse(res, 'content_block_delta', {type: 'content_block_delta', index: 0, delta: {type: 'input_json_delta', partial_json: JSON.stringify(reply.tool.input)}})
  }
  sse(res, 'content_block_stop', {type: 'content_block_stop', index: 0})
  sse(res, 'message_delta', {type: 'message_delta', delta: {stop_reason: stopReason, stop_sequence: null}, usage: {output_tokens: 20}})
  sse(res, 'message_stop', {type: 'message_stop'})
  res.end()
}

export async function startModelServer(script: Script): Promise<ModelServer> {
  const requests: MessagesRequest[] = []
  let turn = 0
  const sockets = new Set<import('node:net').Socket>()
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x')
      if (req.method !== 'POST' || url.pathname !== '/v1/messages') {
        if (url.pathname === '/v1/messages/count_tokens') {
          res.writeHead(200, {'content-type': 'application/json'})
          return res.end(JSON.stringify({input_tokens: 100}))
        }
        res.writeHead(404, {'content-type': 'application/json'})
        return res.end(JSON.stringify({type: 'error', error: {type: 'not_found_error', message: `no ${url.pathname} here`}}))
      }
      let parsed: MessagesRequest
      try {
        parsed = JSON.parse(body) as MessagesRequest
      } catch {
        res.writeHead(400)
        return res.end()
      }
      requests.push(parsed)
      const mainLoop = Array.isArray(parsed.tools) && parsed.tools.length > 0
      const reply: Reply = mainLoop ? script(parsed, turn++) : {text: 'Scripted side reply'}
      if ('error' in reply) {
        res.writeHead(reply.error.status, {'content-type': 'application/json', 'request-id': `req_err_${turn}`})
        return res.end(JSON.stringify({type: 'error', error: {type: reply.error.type, message: reply.error.message}}))
      }
      send(res, parsed, reply)
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return {
    url: `http://127.0.0.1:${(server.address() as {port: number}).port}`,
    requests,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
