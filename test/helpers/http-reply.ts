import { request } from 'undici';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => any;
}

export type RequestOptions = NonNullable<Parameters<typeof request>[1]>;

/** One request; the body is read whole. */
export async function fetchText(url: string, opts: RequestOptions = {}): Promise<Reply> {
  const res = await request(url, opts);
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) };
}
