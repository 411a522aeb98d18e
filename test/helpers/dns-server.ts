// A small authoritative DNS server on UDP loopback for the discovery tests (node:dgram): it
// answers A, AAAA and SRV questions from a table the test changes while it runs, or fails on
// purpose (SERVFAIL, or no answer at all). RFC 1035 §4.1 message format; one question per query.
import dgram from 'node:dgram';

export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface DnsRecords {
  A?: string[];
  AAAA?: string[];
  SRV?: SrvRecord[];
}

export type DnsMode = 'answer' | 'servfail' | 'silent';

export interface DnsServer {
  /** `127.0.0.1:PORT`, for the `resolver` key. */
  address: string;
  /** Records by lowercase name without the final dot; the test may change them at any time. */
  records: Map<string, DnsRecords>;
  mode: DnsMode;
  /** Questions received: `NAME TYPE`. */
  queries: string[];
  close(): Promise<void>;
}

const TYPES: Record<number, keyof DnsRecords> = { 1: 'A', 28: 'AAAA', 33: 'SRV' };
const TYPE_CODES = { A: 1, AAAA: 28, SRV: 33 } as const;

/** Reads a (never compressed, in a question) name at `at`; returns it and the offset after it. */
function readName(msg: Buffer, at: number): [string, number] {
  const labels: string[] = [];
  while (msg[at]! !== 0) {
    const length = msg[at]!;
    labels.push(msg.toString('latin1', at + 1, at + 1 + length));
    at += 1 + length;
  }
  return [labels.join('.').toLowerCase(), at + 1];
}

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function encodeIpv6(address: string): Buffer {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function rdata(type: keyof DnsRecords, value: string | SrvRecord): Buffer {
  if (type === 'A') return Buffer.from((value as string).split('.').map(Number));
  if (type === 'AAAA') return encodeIpv6(value as string);
  const srv = value as SrvRecord;
  const head = Buffer.alloc(6);
  head.writeUInt16BE(srv.priority, 0);
  head.writeUInt16BE(srv.weight, 2);
  head.writeUInt16BE(srv.port, 4);
  return Buffer.concat([head, encodeName(srv.target)]);
}

function answer(query: Buffer, server: DnsServer): Buffer | null {
  if (query.length < 12 || query.readUInt16BE(4) < 1) return null;
  const [name, end] = readName(query, 12);
  const qtype = query.readUInt16BE(end);
  const typeName = TYPES[qtype];
  server.queries.push(`${name} ${typeName ?? qtype}`);
  if (server.mode === 'silent') return null;
  const question = query.subarray(12, end + 4);
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  const rd = query[2]! & 0x01;
  header[2] = 0x84 | rd; // QR, AA, RD as asked
  header[3] = 0x80; // RA, rcode below
  header.writeUInt16BE(1, 4);
  if (server.mode === 'servfail') {
    header[3] = 0x82;
    return Buffer.concat([header, question]);
  }
  const entry = server.records.get(name);
  if (entry === undefined) {
    header[3] = 0x83; // NXDOMAIN
    return Buffer.concat([header, question]);
  }
  const values = typeName === undefined ? [] : (entry[typeName] ?? []);
  const answers = values.map((value) => {
    const data = rdata(typeName!, value);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // the question's name
    rr.writeUInt16BE(TYPE_CODES[typeName!], 2);
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(1, 6); // TTL 1 s
    rr.writeUInt16BE(data.length, 10);
    return Buffer.concat([rr, data]);
  });
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, question, ...answers]);
}

export async function startDnsServer(records: Record<string, DnsRecords> = {}): Promise<DnsServer> {
  const socket = dgram.createSocket('udp4');
  const server: DnsServer = {
    address: '',
    records: new Map(Object.entries(records)),
    mode: 'answer',
    queries: [],
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (msg, peer) => {
    const reply = answer(msg, server);
    if (reply !== null) socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  server.address = `127.0.0.1:${socket.address().port}`;
  return server;
}
