// The node's identity.json in its data folder, in the format Octez writes (peer_id in base58,
// keys and stamp in hex): atomic writing with mode 0600 and reading with typed errors.
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DuneP2pError } from '../errors/index.js'
import { writeFileAtomic } from '../io/atomic-file.js'
import type { Identity } from './identity.js'
import { PUBLIC_KEY_BYTES, SECRET_KEY_BYTES } from './keys.js'
import { peerIdFromB58, peerIdToB58 } from './peer-id.js'
import { STAMP_BYTES } from './proof-of-work.js'

export const IDENTITY_FILE_NAME = 'identity.json'

export type IdentityFileErrorCode =
  | 'DUNE_IDENTITY_MISSING'
  | 'DUNE_IDENTITY_UNREADABLE'
  | 'DUNE_IDENTITY_JSON'
  | 'DUNE_IDENTITY_FIELD'

/** An identity file that is missing, unreadable, not JSON, or has a bad field (named in `field`). */
export class IdentityFileError extends DuneP2pError {
  declare readonly code: IdentityFileErrorCode
  readonly path: string
  readonly field: string | undefined

  constructor(
    code: IdentityFileErrorCode,
    path: string,
    message: string,
    options: { cause?: unknown; field?: string } = {},
  ) {
    super(code, message, options)
    this.path = path
    this.field = options.field
  }
}

/** Where the identity file of `dataDir` lives. */
export function identityFilePath(dataDir: string): string {
  return join(dataDir, IDENTITY_FILE_NAME)
}

/** Writes `identity` to DATA_DIR/identity.json (mode 0600), creating the folder (mode 0700) if needed; returns the path. */
export async function writeIdentityFile(dataDir: string, identity: Identity): Promise<string> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const path = identityFilePath(dataDir)
  const json = {
    peer_id: peerIdToB58(identity.peerId),
    public_key: identity.publicKey.toString('hex'),
    secret_key: identity.secretKey.toString('hex'),
    proof_of_work_stamp: identity.proofOfWorkStamp.toString('hex'),
  }
  await writeFileAtomic(path, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600 })
  return path
}

/** Reads DATA_DIR/identity.json. Checks each field's form; whether they agree is `checkIdentity`'s job. */
export async function readIdentityFile(dataDir: string): Promise<Identity> {
  const path = identityFilePath(dataDir)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT'
    throw new IdentityFileError(
      missing ? 'DUNE_IDENTITY_MISSING' : 'DUNE_IDENTITY_UNREADABLE',
      path,
      missing ? `no identity file at ${path}` : `cannot read ${path}: ${(err as Error).message}`,
      { cause: err },
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new IdentityFileError(
      'DUNE_IDENTITY_JSON',
      path,
      `${path} is not valid JSON: ${(err as Error).message}`,
      {
        cause: err,
      },
    )
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new IdentityFileError('DUNE_IDENTITY_JSON', path, `${path} does not hold a JSON object`)
  }
  const fields = json as Record<string, unknown>
  return {
    peerId: peerIdField(fields, path),
    publicKey: hexField(fields, 'public_key', PUBLIC_KEY_BYTES, path),
    secretKey: hexField(fields, 'secret_key', SECRET_KEY_BYTES, path),
    proofOfWorkStamp: hexField(fields, 'proof_of_work_stamp', STAMP_BYTES, path),
  }
}

function stringField(fields: Record<string, unknown>, field: string, path: string): string {
  const value = fields[field]
  if (typeof value === 'string') return value
  const problem = value === undefined ? 'is missing' : `must be a string, not ${JSON.stringify(value)}`
  throw new IdentityFileError('DUNE_IDENTITY_FIELD', path, `${path}: field "${field}" ${problem}`, { field })
}

function hexField(fields: Record<string, unknown>, field: string, bytes: number, path: string): Buffer {
  const value = stringField(fields, field, path)
  if (value.length !== bytes * 2 || !/^[0-9a-fA-F]*$/.test(value)) {
    throw new IdentityFileError(
      'DUNE_IDENTITY_FIELD',
      path,
      `${path}: field "${field}" must be ${bytes} bytes in hex (${bytes * 2} hex digits)`,
      { field },
    )
  }
  return Buffer.from(value, 'hex')
}

function peerIdField(fields: Record<string, unknown>, path: string): Buffer {
  const value = stringField(fields, 'peer_id', path)
  try {
    return peerIdFromB58(value)
  } catch (err) {
    throw new IdentityFileError(
      'DUNE_IDENTITY_FIELD',
      path,
      `${path}: field "peer_id": ${(err as Error).message}`,
      {
        cause: err,
        field: 'peer_id',
      },
    )
  }
}
