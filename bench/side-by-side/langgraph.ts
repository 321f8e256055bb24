// The LangGraph JS program that `peh run` is compared with (bench/side-by-side/versus.ts), run as a whole
// process: `node langgraph.js TASKS independent|chain DIR`. One node per task; each node starts
// the same two processes as a peh task whose command and check are `true` (`/bin/sh -c true`,
// then again), as a Node program does (child_process); the SQLite checkpointer saves every
// superstep to DIR/checkpoints.db; `maxConcurrency: 8`. Independent tasks all leave START;
// a chain's node i+1 follows node i. Prints the number of tasks run.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

const run = promisify(execFile);
const [tasksArg, shape, dir] = process.argv.slice(2);
const tasks = Number(tasksArg);
if (!Number.isInteger(tasks) || tasks < 1 || (shape !== "independent" && shape !== "chain") || !dir) {
  process.stderr.write("usage: langgraph.js TASKS independent|chain DIR\n");
  process.exit(2);
}

const State = Annotation.Root({ done: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 }) });
// Built in a loop, so the builder's node-name types cannot follow: the graph is typed loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const graph: any = new StateGraph(State);
for (let i = 0; i < tasks; i++) {
  graph.addNode(`t${i}`, async () => {
    await run("/bin/sh", ["-c", "true"]); // the task's command
    await run("/bin/sh", ["-c", "true"]); // its check
    return { done: 1 };
  });
}
for (let i = 0; i < tasks; i++) {
  graph.addEdge(shape === "chain" && i > 0 ? `t${i - 1}` : START, `t${i}`);
  if (shape === "independent" || i === tasks - 1) graph.addEdge(`t${i}`, END);
}
const checkpointer = SqliteSaver.fromConnString(join(dir, "checkpoints.db"));
const app = graph.compile({ checkpointer });
const result = (await app.invoke({ done: 0 }, { configurable: { thread_id: "bench" }, maxConcurrency: 8, recursionLimit: tasks + 10 })) as { done: number };
if (result.done !== tasks) throw new Error(`LangGraph ran ${result.done} tasks, not ${tasks}`);
process.stdout.write(`${result.done}\n`);
