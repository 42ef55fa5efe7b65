import type { DataSource } from 'typeorm';
import type { AuditLog } from '../audit/audit-log.service';
import type { RequestContext } from '../api/context';
import { ServiceScope } from '../service-clients/service-client.entity';
import { isServiceToken, type ServiceClients } from '../service-clients/service-clients.service';
import type { SessionTerminator } from '../sessions/session-terminator.service';
import type { ClientInfo } from '../devices/client-info';
import type { SessionService } from '../sessions/session.service';
import { AdminActions } from './admin-actions.service';

/**
 * Who a GraphQL request (HTTP, or an operation on a socket) comes from. The token's prefix decides which check runs:
 * `sc_` is a service client's access token (ServiceClients), anything else goes to the one
 * session check (SessionService.authenticate), exactly as before.
 */
export function requestPrincipals(deps: { dataSource: DataSource; sessions: SessionService; clients: ServiceClients; terminator: SessionTerminator; auditLog: AuditLog }) {
  return async (token: string | undefined, client: ClientInfo): Promise<Pick<RequestContext, 'viewer' | 'admin'>> => {
    if (!isServiceToken(token)) return { viewer: await deps.sessions.authenticate(token), admin: null };
    const principal = await deps.clients.authenticate(token);
    if (!principal?.scopes.includes(ServiceScope.ADMIN)) return { viewer: null, admin: null };
    return { viewer: null, admin: new AdminActions(deps.dataSource, deps.sessions, deps.terminator, deps.auditLog, principal.clientId, client) };
  };
}
