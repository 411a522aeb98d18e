/** What the route table needs from one configured route; its index is its position in the list. */
export interface RouteSpec {
  /** `/static/:param/*`: static segments, `:name` parameters, an optional trailing `*`. */
  path: string;
  /** Uppercase method names; null = any method. */
  methods: readonly string[] | null;
  /** Lowercase host without port; null = any host. */
  host: string | null;
}
