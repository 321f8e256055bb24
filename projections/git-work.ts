// Pure. What isolated work did in git, from the log alone: the run's branch and where it started,
// each task's commit on it, every archived attempt's ref, the landing. For `peh status` and the
// report; null for a run that has no branch (isolation: none).
import type { PehEvent, TaskId } from "../events/index.js";

export interface GitTaskWork {
  task_id: string;
  /** The task's commit on the run's branch, once merged (or, reused by a rerun, from the start). */
  commit: string | null;
  /** A rerun's reused task: its commit on the source's branch (the same as `commit` unless replayed). */
  reused_from?: string;
  /** Failed or interrupted attempts, each kept under its ref; `conflicts`: the files its commit conflicted in. */
  archives: { attempt: number; ref: string; commit: string; conflicts?: string[] }[];
}

export interface GitWork {
  branch: string;
  base: string;
  /** Uncommitted changes at the start became the branch's first commit. */
  snapshot: boolean;
  tasks: GitTaskWork[];
  landed: { branch: string; from: string; to: string; actor: string } | null;
}

export function gitWorkOf(events: Iterable<PehEvent>): GitWork | null {
  let work: GitWork | null = null;
  const tasks = new Map<string, GitTaskWork>();
  const task = (id: string) => {
    let found = tasks.get(id);
    if (!found) tasks.set(id, (found = { task_id: id, commit: null, archives: [] }));
    return found;
  };
  // The files each attempt's commit conflicted in (TASK_FAILED at stage merge), by task and attempt.
  const conflicts = new Map<string, string[]>();
  for (const event of events) {
    if (event.type === "TASK_FAILED" && event.data.stage === "merge") conflicts.set(`${event.data.task_id}#${event.data.attempt}`, event.data.conflicts ?? []);
    else if (event.type === "RUN_BRANCH_STARTED") {
      work = { branch: event.data.branch, base: event.data.base, snapshot: event.data.snapshot, tasks: [], landed: null };
      for (const reused of event.data.reused ?? []) Object.assign(task(reused.task_id), { commit: reused.commit, reused_from: reused.source_commit });
    }
    else if (event.type === "TASK_MERGED") task(event.data.task_id).commit = event.data.commit;
    else if (event.type === "WORKTREE_ARCHIVED") {
      const conflicted = conflicts.get(`${event.data.task_id}#${event.data.attempt}`);
      task(event.data.task_id).archives.push({ attempt: event.data.attempt, ref: event.data.ref, commit: event.data.commit, ...(conflicted ? { conflicts: conflicted } : {}) });
    }
    else if (event.type === "RUN_LANDED" && work) work.landed = { branch: event.data.branch, from: event.data.from, to: event.data.to, actor: event.actor };
  }
  if (work) work.tasks = [...tasks.values()];
  return work;
}

/** The lines that say it, for a terminal or a report. */
export function gitWorkLines(work: GitWork): string[] {
  const short = (commit: string) => commit.slice(0, 10);
  return [
    `branch ${work.branch} from ${short(work.base)}${work.snapshot ? " (its first commit: your uncommitted changes at the start)" : ""}${work.landed ? `, landed on ${work.landed.branch} by ${work.landed.actor}` : ""}`,
    ...work.tasks.flatMap((task) => [
      ...(task.commit ? [`${task.task_id}: commit ${short(task.commit)} on ${work.branch}${reusedWords(task, short)}`] : []),
      ...task.archives.map((archive) => {
        const conflicted = archive.conflicts ? `: its commit conflicted with ${work.branch} in ${archive.conflicts.join(", ") || "(git named no file)"}` : "";
        return `${task.task_id}: attempt ${archive.attempt} archived as ${archive.ref}${conflicted}`;
      }),
    ]),
  ];
}

function reusedWords(task: GitTaskWork, short: (commit: string) => string): string {
  if (task.reused_from === undefined) return "";
  return task.reused_from === task.commit ? " (reused: the source's own commit)" : ` (reused: ${short(task.reused_from)} of the source, replayed)`;
}

/**
 * The commits on a run's branch, bottom up: where it started, then each task's as it landed there
 * (a rerun's reused ones first). Null for a run without a branch. What a rerun of it stacks.
 */
export function branchHistoryOf(events: Iterable<PehEvent>): { base: string; commits: { task_id: TaskId; commit: string }[] } | null {
  let history: { base: string; commits: { task_id: TaskId; commit: string }[] } | null = null;
  for (const event of events) {
    if (event.type === "RUN_BRANCH_STARTED") history = { base: event.data.base, commits: (event.data.reused ?? []).map(({ task_id, commit }) => ({ task_id, commit })) };
    else if (event.type === "TASK_MERGED" && history) history.commits.push({ task_id: event.data.task_id, commit: event.data.commit });
  }
  return history;
}
