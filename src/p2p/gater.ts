import type { ConnectionGater, PeerId } from "@libp2p/interface";

/**
 * Blocks and unblocks peers at runtime. Two kinds of entries: `block` (held until `unblock`; the
 * partition tests drive it through the admin RPC) and `ban` (expires; used for peers on another
 * chain and for misbehaving peers). Either one makes libp2p refuse to dial or accept the peer.
 */
export class PeerGater {
  private readonly blocked = new Set<string>();
  private readonly bans = new Map<string, number>();
  private readonly maxBans: number;
  private readonly now: () => number;

  constructor(opts: { maxBans?: number } = {}, modules: { now?: () => number } = {}) {
    this.maxBans = opts.maxBans ?? 1024;
    this.now = modules.now ?? Date.now;
  }

  block(peer: string): void {
    this.blocked.add(peer);
  }

  unblock(peer: string): boolean {
    return this.blocked.delete(peer);
  }

  ban(peer: string, forMs: number): void {
    this.bans.delete(peer);
    if (this.bans.size >= this.maxBans) {
      const oldest = this.bans.keys().next().value;
      if (oldest !== undefined) this.bans.delete(oldest);
    }
    this.bans.set(peer, this.now() + forMs);
  }

  isDenied(peer: string): boolean {
    if (this.blocked.has(peer)) return true;
    const until = this.bans.get(peer);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.bans.delete(peer);
    return false;
  }

  blockedPeers(): string[] {
    return [...this.blocked];
  }

  /** The libp2p hook: checked before dialing and once the remote peer id is known. */
  connectionGater(): ConnectionGater {
    const deny = (peerId: PeerId): boolean => this.isDenied(peerId.toString());
    return {
      denyDialPeer: deny,
      denyInboundEncryptedConnection: deny,
      denyOutboundEncryptedConnection: deny,
      // Loopback and private addresses are where devnets and tests live: allow them.
      denyDialMultiaddr: () => false,
    };
  }
}
