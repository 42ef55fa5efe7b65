import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { requireViewer, type RequestContext } from '../api/context';
import type { AuditLog } from './audit-log.service';
import { AuditEventConnection, toConnection } from './audit-event.type';

@Resolver()
export class AuditResolver {
  constructor(private readonly log: AuditLog) {}

  @Query(() => AuditEventConnection, { description: "My account's security history, newest first." })
  async auditLog(
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() context: RequestContext,
  ): Promise<AuditEventConnection> {
    const viewer = requireViewer(context);
    const { events, hasNextPage } = await this.log.page(viewer.userId, first ?? 20, after);
    return toConnection(events, hasNextPage);
  }
}
