import { IsNull } from 'typeorm';
import { SessionEntity, TerminationReason } from '../../src/sessions/session.entity';
import { accountWithDevices } from '../support/accounts';
import { DEVICES } from '../support/client';
import { clusterPerSuite, type Backend } from '../support/cluster';

/**
 * `SessionService.listLive` reads raw rows (one prepared statement) instead of loading entities:
 * on both backends it must give exactly what an entity load of the same live sessions gives.
 */
describe.each<Backend>(['postgres', 'sqlite'])('the live session list on %s', (backend) => {
  const cluster = clusterPerSuite({ backend });

  it('lists every live session newest first, field for field as the ORM loads them, and nothing ended', async () => {
    const { services } = cluster.instances[0]!;
    const { signIns } = await accountWithDevices(cluster.url, [DEVICES.chromeOnWindows, DEVICES.safariOnIphone, DEVICES.chromeOnPixel]);
    const userId = signIns[0]!.user.id;
    // A public address gives a place with every field set; a new device and country give flags.
    await services.sessions.open(userId, { ipAddress: '81.2.69.142', userAgent: 'curl/8.5.0' });
    const ended = signIns[1]!.session.id;
    await services.terminator.end({ userId, target: { sessionIds: [ended] }, reason: TerminationReason.REVOKED, actor: null, client: null });

    const listed = await services.sessions.listLive(userId);

    const entities = await services.dataSource.getRepository(SessionEntity).find({
      where: { userId, revokedAt: IsNull() },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
    const expected = entities.map((entity) => ({
      id: entity.id,
      deviceType: entity.deviceType,
      deviceOs: entity.deviceOs,
      deviceBrowser: entity.deviceBrowser,
      deviceModel: entity.deviceModel,
      deviceLabel: entity.deviceLabel,
      deviceName: entity.deviceName,
      devicePlatform: entity.devicePlatform,
      deviceAppVersion: entity.deviceAppVersion,
      ipAddress: entity.ipAddress,
      place: { ...entity.place },
      flags: entity.flags,
      createdAt: entity.createdAt,
      lastActiveAt: entity.lastActiveAt,
      expiresAt: entity.expiresAt,
    }));
    expect(listed).toHaveLength(3);
    expect(listed.map((session) => session.id)).not.toContain(ended);
    expect(listed).toEqual(expected);
    // The ones that matter most for the check: real Dates, a full place, flags as an array.
    expect(listed[0]!.createdAt).toBeInstanceOf(Date);
    expect(listed[0]!.place.countryCode).toBe('GB');
    expect(listed[0]!.flags).toEqual(expect.arrayContaining(['NEW_DEVICE', 'NEW_LOCATION']));
    expect(listed[2]!.flags).toEqual([]);
  });
});
