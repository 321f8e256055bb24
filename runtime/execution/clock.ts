// The runtime's clock: the time stamped on the commands it decides (the machines have none).
export const now = (): string => new Date().toISOString();
