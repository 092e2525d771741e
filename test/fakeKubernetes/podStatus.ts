import { timestamp } from "./names.js";
import type { Container, ContainerStatus } from "./objects.js";
import type { ProcessOutcome } from "./containerProcess.js";

/* The container statuses the kubelet reports, one builder per state. */

const base = (container: Container) => ({ name: container.name, image: container.image ?? "", imageID: "", lastState: {}, ready: false, restartCount: 0 });

export function waiting(container: Container, reason: string, message?: string): ContainerStatus {
  return { ...base(container), started: false, state: { waiting: { reason, ...(message ? { message } : {}) } } };
}

export function running(container: Container, startedAt: string): ContainerStatus {
  return { ...base(container), started: true, ready: true, state: { running: { startedAt } } };
}

export function terminated(container: Container, outcome: ProcessOutcome, startedAt: string | undefined): ContainerStatus {
  const { exitCode, reason, signal, message } = outcome;
  return {
    ...base(container),
    started: false,
    state: {
      terminated: {
        exitCode,
        ...(signal !== undefined ? { signal } : {}),
        reason,
        ...(message ? { message } : {}),
        ...(startedAt ? { startedAt } : {}),
        finishedAt: timestamp(),
      },
    },
  };
}
