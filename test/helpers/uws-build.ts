// The uWebSockets.js build this test process loads. A gateway or demo upstream that a test starts
// runs on the same Node with the same environment, so it loads the same build: a test that pins
// one build's behaviour reads which one here, and asserts that build's answer.
import { loadUws } from '../../dist/http/load-uws.js';

export const uwsBuild = loadUws();
export const quirks = uwsBuild.quirks;
