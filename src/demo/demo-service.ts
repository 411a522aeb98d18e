export type DemoService = 'users' | 'orders' | 'slow' | 'flaky';

export const DEMO_SERVICES: readonly DemoService[] = ['users', 'orders', 'slow', 'flaky'];

export const DEFAULT_DEMO_HOST = '127.0.0.1';

export const DEFAULT_DEMO_PORTS: Record<DemoService, number> = { users: 9001, orders: 9002, slow: 9003, flaky: 9004 };

export interface DemoUpstreams {
  ports: Record<DemoService, number>;
  close(): Promise<void>;
}
