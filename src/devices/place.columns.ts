import { Column } from 'typeorm';
import type { GeoLocation } from './location';

/** Where a sign-in or an audited action came from, as stored (embedded in sessions and audit_events). */
export class PlaceColumns implements GeoLocation {
  @Column({ name: 'country_code', type: 'varchar', length: 2, nullable: true })
  countryCode!: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  country!: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  region!: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  city!: string | null;
}
