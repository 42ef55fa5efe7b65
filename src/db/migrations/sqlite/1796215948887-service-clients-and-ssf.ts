import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Service clients (back-ends that call us with client credentials), their short-lived access
 * tokens, the SSF transmitter's signing keys, streams, outbox and delivery log, and the audit
 * column naming the service client that acted.
 */
export class ServiceClientsAndSsf1796215948887 implements MigrationInterface {
  name = 'ServiceClientsAndSsf1796215948887';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE service_clients (
        client_id varchar(64) PRIMARY KEY,
        name varchar(255) NOT NULL,
        secret_hash varchar(64) NOT NULL,
        scopes text NOT NULL,
        created_at datetime NOT NULL,
        disabled_at datetime
      )`);
    await q.query(`
      CREATE TABLE service_tokens (
        token_hash varchar(64) PRIMARY KEY,
        client_id varchar(64) NOT NULL REFERENCES service_clients (client_id) ON DELETE CASCADE,
        scopes text NOT NULL,
        created_at datetime NOT NULL,
        expires_at datetime NOT NULL
      )`);
    await q.query(`CREATE INDEX service_tokens_by_expiry ON service_tokens (expires_at)`);
    await q.query(`ALTER TABLE audit_events ADD COLUMN actor_client_id varchar(64)`);
    await q.query(`
      CREATE TABLE ssf_keys (
        kid varchar(64) PRIMARY KEY,
        public_jwk text NOT NULL,
        private_sealed text NOT NULL,
        created_at datetime NOT NULL
      )`);
    await q.query(`
      CREATE TABLE ssf_streams (
        id varchar(36) PRIMARY KEY,
        client_id varchar(64) NOT NULL REFERENCES service_clients (client_id) ON DELETE CASCADE,
        aud text NOT NULL,
        delivery_method varchar(40) NOT NULL,
        endpoint_url text,
        authorization_sealed text,
        events_requested text NOT NULL,
        events_delivered text NOT NULL,
        description text,
        status varchar(16) NOT NULL,
        status_reason text,
        created_at datetime NOT NULL,
        updated_at datetime NOT NULL
      )`);
    // seq orders each stream's events; claims lock the stream row, so one instance delivers a stream at a time.
    await q.query(`
      CREATE TABLE ssf_outbox (
        seq integer PRIMARY KEY AUTOINCREMENT,
        stream_id varchar(36) NOT NULL REFERENCES ssf_streams (id) ON DELETE CASCADE,
        jti varchar(36) NOT NULL UNIQUE,
        event_type varchar(40) NOT NULL,
        session_id varchar(36),
        user_id varchar(36),
        reason varchar(32),
        actor_session_id varchar(36),
        actor_client_id varchar(64),
        payload text,
        event_at datetime NOT NULL,
        state varchar(16) NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at datetime NOT NULL,
        done_at datetime,
        last_error text
      )`);
    await q.query(`CREATE INDEX ssf_outbox_pending ON ssf_outbox (stream_id, seq) WHERE state = 'pending'`);
    await q.query(`
      CREATE TABLE ssf_deliveries (
        id integer PRIMARY KEY AUTOINCREMENT,
        stream_id varchar(36) NOT NULL REFERENCES ssf_streams (id) ON DELETE CASCADE,
        jti varchar(36) NOT NULL,
        at datetime NOT NULL,
        outcome varchar(16) NOT NULL,
        http_status integer,
        detail text
      )`);
    await q.query(`CREATE INDEX ssf_deliveries_by_stream ON ssf_deliveries (stream_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ssf_deliveries`);
    await q.query(`DROP TABLE ssf_outbox`);
    await q.query(`DROP TABLE ssf_streams`);
    await q.query(`DROP TABLE ssf_keys`);
    await q.query(`ALTER TABLE audit_events DROP COLUMN actor_client_id`);
    await q.query(`DROP TABLE service_tokens`);
    await q.query(`DROP TABLE service_clients`);
  }
}
