/**
 * SSZ Merkleization hasher. @chainsafe/ssz defaults to @noble/hashes sha256, which dominated the
 * core's profile; as-sha256 (WebAssembly, no native build) computes the same digests several
 * times faster. Imported for its side effect before any container is built.
 */
import { setHasher } from "@chainsafe/persistent-merkle-tree";
import { hasher } from "@chainsafe/persistent-merkle-tree/hasher/as-sha256";

setHasher(hasher);
