import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type KeyLike, type JWTPayload } from 'jose';
import type { DataSource } from 'typeorm';
import type { SecretBox } from '../common/secret-box';

const ALG = 'RS256';
const SEALED_PURPOSE = 'ssf-signing-key';

/**
 * The transmitter's RS256 key pair (2048-bit), generated on first start and stored in the database
 * with the private half sealed by SECRET_KEY, so every instance signs with the same key. When two
 * instances start at once and both generate, the oldest row wins and the other is removed.
 */
export class SsfKeys {
  private constructor(
    readonly kid: string,
    readonly publicJwk: JWK,
    private readonly privateKey: KeyLike | Uint8Array,
  ) {}

  static async load(dataSource: DataSource, box: SecretBox, now: Date): Promise<SsfKeys> {
    const oldest = () =>
      dataSource.query<{ kid: string; public_jwk: string; private_sealed: string }[]>(`SELECT kid, public_jwk, private_sealed FROM ssf_keys ORDER BY created_at, kid LIMIT 1`);
    let [row] = await oldest();
    if (!row) {
      const pair = await generateKeyPair(ALG, { modulusLength: 2048, extractable: true });
      const publicJwk = await exportJWK(pair.publicKey);
      const kid = await calculateJwkThumbprint(publicJwk);
      const privateJwk = await exportJWK(pair.privateKey);
      const [sql, parameters] = dataSource.driver.escapeQueryWithParameters(
        `INSERT INTO ssf_keys (kid, public_jwk, private_sealed, created_at) VALUES (:kid, :publicJwk, :sealed, :now)`,
        { kid, publicJwk: JSON.stringify({ ...publicJwk, kid, alg: ALG, use: 'sig' }), sealed: box.seal(JSON.stringify(privateJwk), SEALED_PURPOSE), now },
        {},
      );
      await dataSource.query(sql, parameters);
      [row] = await oldest();
      if (row && row.kid !== kid) {
        const [remove, removeParameters] = dataSource.driver.escapeQueryWithParameters(`DELETE FROM ssf_keys WHERE kid = :kid`, { kid }, {});
        await dataSource.query(remove, removeParameters);
      }
    }
    if (!row) throw new Error('no SSF signing key after creating one');
    const privateJwk = JSON.parse(box.open(row.private_sealed, SEALED_PURPOSE)) as JWK;
    return new SsfKeys(row.kid, JSON.parse(row.public_jwk) as JWK, await importJWK(privateJwk, ALG));
  }

  /** The JWKS served at jwks_uri. */
  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /** A Security Event Token (RFC 8417): typ secevent+jwt, RS256, this key's kid. */
  sign(claims: JWTPayload): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: ALG, kid: this.kid, typ: 'secevent+jwt' }).sign(this.privateKey);
  }
}

/** What signs SETs and publishes the JWKS; the key pair is loaded (or generated) on first use. */
export interface SetSigner {
  sign(claims: JWTPayload): Promise<string>;
  jwks(): Promise<{ keys: JWK[] }>;
}

/** The key pair, loaded once (the composition root loads it at start); a failed load is tried again on the next use. */
export class LazySsfKeys implements SetSigner {
  private loading?: Promise<SsfKeys>;

  constructor(private readonly load: () => Promise<SsfKeys>) {}

  keys(): Promise<SsfKeys> {
    this.loading ??= this.load().catch((err: unknown) => {
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  async sign(claims: JWTPayload): Promise<string> {
    return (await this.keys()).sign(claims);
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    return (await this.keys()).jwks();
  }
}
