// A service on a pair of streams: reads request lines in order, answers each as soon as it is
// done (one line, written at once), and returns at the end of input (a last line without its
// newline is still answered).
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { answerLine, type Service } from "./protocol.js";

export async function serve(service: Service, input: Readable, output: Writable): Promise<void> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    const answer = await answerLine(service, line);
    if (answer !== undefined) output.write(`${answer}\n`);
  }
}
