// SHA-256 of a string, in one call: crypto.hash where Node has it (20.12 and later: about twice
// as fast for short inputs as a Hash object), createHash before.
import * as crypto from 'node:crypto';

type Encoding = 'base64' | 'base64url' | 'hex';

const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: Encoding) => string }).hash;

export const sha256: (text: string, encoding: Encoding) => string = oneShot !== undefined
  ? (text, encoding) => oneShot('sha256', text, encoding)
  : (text, encoding) => crypto.createHash('sha256').update(text).digest(encoding);
