// Type declarations for the parts of sodium-native (libsodium bindings, which ship no types)
// that the layer uses; the package is CommonJS, so it is imported as a default export.
declare module 'sodium-native' {
  interface SodiumNative {
    readonly crypto_box_PUBLICKEYBYTES: number
    readonly crypto_box_SECRETKEYBYTES: number
    readonly crypto_scalarmult_BYTES: number
    readonly crypto_secretbox_KEYBYTES: number
    readonly crypto_secretbox_NONCEBYTES: number
    readonly crypto_secretbox_MACBYTES: number
    /** Fills `pk` and `sk` (32 bytes each) with a fresh X25519 key pair. */
    crypto_box_keypair(pk: Uint8Array, sk: Uint8Array): void
    /** q = X25519(n, base point). */
    crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void
    /** q = X25519(n, p); throws when the result is all zero (low-order point). */
    crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void
    /** BLAKE2b of `input` with `output.byteLength` bytes of digest. */
    crypto_generichash(output: Uint8Array, input: Uint8Array, key?: Uint8Array): void
    /** SHA-256 of `input` into `out` (32 bytes). */
    crypto_hash_sha256(out: Uint8Array, input: Uint8Array): void
    /** c (m.length + 16 bytes) = MAC ++ XSalsa20(m). */
    crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void
    /** Adds one to `n`, read as a little-endian number, in place. */
    sodium_increment(n: Uint8Array): void
    /** Writes c.length - 16 bytes into m; false when the MAC does not verify. */
    crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean
    /** XSalsa20 keystream (crypto_stream_PRIMITIVE is xsalsa20). */
    crypto_stream(c: Uint8Array, n: Uint8Array, k: Uint8Array): void
    randombytes_buf(buffer: Uint8Array): void
    sodium_memzero(buffer: Uint8Array): void
  }
  const sodium: SodiumNative
  export = sodium
}
