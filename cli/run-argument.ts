// How every command that takes a RUN describes it (runtime/store/run-id.ts resolves it).
export const RUN_NAMES = 'a run id, the start of one, or "latest"';
export const RUN_ARGUMENT = `${RUN_NAMES} (default: the most recent run)`;
