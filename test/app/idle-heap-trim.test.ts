import { describe, expect, it } from 'vitest';
import { IdleTrimPolicy } from '../../src/app/idle-heap-trim.js';

const BUSY = 0.2;
const IDLE = 0.001;

describe('IdleTrimPolicy', () => {
  it('trims once a process has been idle for two whole periods, and not again while it stays idle', () => {
    const policy = new IdleTrimPolicy();
    expect([BUSY, IDLE, IDLE, IDLE, IDLE].map((use) => policy.observe(use))).toEqual([false, false, true, false, false]);
  });

  it('trims again after the process has been busy since', () => {
    const policy = new IdleTrimPolicy();
    expect([IDLE, IDLE, BUSY, IDLE, IDLE].map((use) => policy.observe(use))).toEqual([false, true, false, false, true]);
  });

  it('does not count an idle period cut short by work', () => {
    const policy = new IdleTrimPolicy();
    expect([IDLE, BUSY, IDLE, BUSY, IDLE].map((use) => policy.observe(use))).toEqual([false, false, false, false, false]);
  });

  it('treats a period with a little work (a timer, a health check) as idle', () => {
    const policy = new IdleTrimPolicy(1);
    expect(policy.observe(0.009)).toBe(true);
    expect(new IdleTrimPolicy(1).observe(0.01)).toBe(false);
  });
});

describe('trimHeapWhenIdle', () => {
  it('keeps the collector to itself: no global gc appears', async () => {
    const { trimHeapWhenIdle } = await import('../../src/app/idle-heap-trim.js');
    const hadGc = 'gc' in globalThis;
    const stop = trimHeapWhenIdle();
    stop();
    expect('gc' in globalThis).toBe(hadGc);
  });
});
