// Incremental reader of the gateway's Server-Sent Events: feed it decoded text as it arrives,
// in pieces split anywhere, and it returns the `data` payload of every event completed so far.
//
//   const parser = new SseDataParser();
//   for (const payload of parser.push(text)) handle(payload);   // "{...}" or "[DONE]"
//   for (const payload of parser.end()) handle(payload);        // a last event with no blank line
//
// Follows the SSE rules that matter here: lines end in LF, CRLF or CR (a CR at the end of one
// piece and an LF at the start of the next count once); an event's `data:` lines are joined with
// LF and dispatched at the blank line; one space after the colon is dropped; comment lines
// (":heartbeat") and other fields (event, id, retry) are ignored.
export class SseDataParser {
  constructor() {
    this.buffer = '';
    this.data = [];
    this.skipLf = false;
  }

  push(text) {
    const out = [];
    let input = text;
    if (this.skipLf && input.startsWith('\n')) input = input.slice(1);
    this.skipLf = false;
    this.buffer += input;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      this.line(this.buffer.slice(start, i), out);
      if (c === '\r') {
        if (i + 1 < this.buffer.length) {
          if (this.buffer[i + 1] === '\n') i++;
        } else {
          this.skipLf = true;
        }
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  end() {
    const out = [];
    if (this.buffer) this.line(this.buffer, out);
    this.buffer = '';
    if (this.data.length) out.push(this.data.join('\n'));
    this.data = [];
    return out;
  }

  line(line, out) {
    if (line === '') {
      if (this.data.length) out.push(this.data.join('\n'));
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== 'data') return;
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    this.data.push(value);
  }
}
