import type { DeclaredDevice } from './device';

/** Where a request comes from: what a new session records about its device. */
export interface ClientInfo {
  ipAddress: string;
  userAgent: string;
  /** What an app declared about its device at sign-in (login/register only). */
  device?: DeclaredDevice | null;
}
