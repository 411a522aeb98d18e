export { DEFAULT_DEMO_PORTS, type DemoService, type DemoUpstreams } from './demo-service.js';
export { startDemoUpstreams, type DemoUpstreamsOptions } from './start-demo-upstreams.js';
export { runDemoUpstreamsCommand } from './demo-command.js';
