// Every DUNE_* code the library raises, with its one-line meaning (as Octez's p2p_errors.mli
// and undici's errors.js list theirs): DuneErrorCode, the union the error classes draw from.

/**
 * The stable `code` of every dune-p2p error and what it means, grouped by the layer that raises
 * it. docs/ERRORS.md has the same table with the class and what to do; a test keeps them equal.
 */
export const ERROR_CODES = {
  // Any layer: a public API called with a bad argument.
  DUNE_INVALID_ARGUMENT: 'a public API call got an argument it cannot use (a bug in the caller)',
  // wire
  DUNE_DECODE: 'bytes that are not a valid encoding of the expected value',
  DUNE_ENCODE: 'a value its encoding cannot represent',
  DUNE_INVALID_POINT: 'a point string that is not host:port or [v6]:port',
  // crypto
  DUNE_CRYPTO_INPUT: 'a key, nonce, stamp or difficulty of the wrong size or range',
  DUNE_MAC: 'an encrypted chunk failed its MAC check',
  DUNE_PEER_ID: 'a printed peer id that is not valid base58check, or has the wrong prefix or length',
  DUNE_POW_ABORTED: 'a proof-of-work search was aborted by its signal',
  DUNE_POW_FAILED: 'a worker of a proof-of-work search crashed or misbehaved',
  DUNE_IDENTITY_MISSING: 'the identity file does not exist',
  DUNE_IDENTITY_UNREADABLE: 'the identity file exists but cannot be read',
  DUNE_IDENTITY_JSON: 'the identity file is not a JSON object',
  DUNE_IDENTITY_FIELD: 'a field of the identity file is missing or wrong',
  // io
  DUNE_QUEUE_CLOSED: 'a push or shift on a closed queue',
  DUNE_SCHEDULER_CLOSED: 'a request on a closed I/O scheduler or handle',
  DUNE_IO_ARGUMENT: 'a size, capacity, speed or period that is negative, NaN or unusable',
  DUNE_FILE_WRITE: 'a file could not be written (its previous content is untouched)',
  // socket
  DUNE_DIAL: 'a TCP connection could not be opened',
  DUNE_ABORTED: 'a dial, handshake or connect was cancelled through its AbortSignal (or the node stopped)',
  DUNE_HANDSHAKE_TIMEOUT: 'the handshake did not finish within authenticationTimeoutMs',
  DUNE_HANDSHAKE_CLOSED: 'the socket closed or failed during the handshake',
  DUNE_SELF_CONNECTION: 'the remote end is ourselves',
  DUNE_POW_TOO_LOW: "the peer's proof of work is below expectedProofOfWork",
  DUNE_HANDSHAKE_DECODING: 'a handshake message did not decode',
  DUNE_HANDSHAKE_DECRYPTION: 'a handshake chunk failed its MAC check',
  DUNE_REJECTED_BY_PEER: 'the peer answered our Ack with a Nack',
  DUNE_CONNECTION_CLOSED: 'an operation on a closed connection',
  // acl
  DUNE_ACL_INPUT: 'an IP, CIDR, point, peer id, snapshot or option the ACL cannot parse',
  // pool
  DUNE_CONFIG: 'a createP2p config field that is wrong (the field is named)',
  DUNE_MAINTENANCE_CONFIG: 'a maintenance setting (connection bounds) out of range',
  DUNE_CONNECTION_REFUSED: 'the pool refused a connection (reason says why)',
  DUNE_NOT_CONNECTED: 'no live connection with that peer',
  DUNE_P2P_NOT_RUNNING: 'the P2p instance is not started, or stopped',
  DUNE_RESOLVE: "a point's DNS name did not resolve",
  DUNE_STATE_JSON: 'the state file (peers.json) is not valid JSON',
  DUNE_STATE_VERSION: 'the state file has a version this code cannot read',
  DUNE_STATE_SCHEMA: 'the state file breaks its schema (first bad field named)',
  DUNE_STATE_READ: 'the state file cannot be read',
  DUNE_STATE_WRITE: 'the state file cannot be written',
  // workers
  DUNE_LISTEN: 'the layer cannot listen on its host and port',
  DUNE_DISCOVERY: 'a local-discovery datagram could not be made',
  // node
  DUNE_NODE_CONFIG: "a field of the node's config.json is wrong",
  DUNE_NODE_FLAG: 'a dune-node command-line flag is wrong',
  // rpc
  DUNE_RPC: 'an admin RPC request answered with an error status',
  // cli
  DUNE_CODEC_INPUT: 'dune-codec input that cannot be read or parsed',
  DUNE_NODE_LISTEN: 'dune-node cannot listen (port in use, no permission)',
  DUNE_ADMIN_RPC: 'the admin RPC answered dune-admin-client with an error or an unexpected reply',
  DUNE_NODE_UNREACHABLE: 'dune-admin-client cannot reach the node',
  DUNE_NOT_ADMIN_RPC: 'the endpoint answered, but it is not the admin RPC',
  // sim
  DUNE_SOAK_OPTIONS: 'soak test options that are out of range',
} as const

/** One of the stable codes of ERROR_CODES; the compiler rejects any other string. */
export type DuneErrorCode = keyof typeof ERROR_CODES
