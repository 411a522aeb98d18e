// Lists built on the request path in a scratch array kept for the thread and copied out at their
// exact size: a list pushed into from empty gets room for 17 entries at once (a request with two
// headers would carry 15 empty slots), and an array shortened by setting its length drops its
// room, so the next request's pushes would allocate it again.

/** The first `n` entries of `scratch`, as a list of their own; the scratch keeps none of them. */
export function takeScratch(scratch: string[], n: number): string[] {
  const list = scratch.slice(0, n);
  for (let i = 0; i < n; i++) scratch[i] = '';
  return list;
}
