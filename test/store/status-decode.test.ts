/**
 * A status message is checked where it enters (SPEC §18): besides its
 * shape, its move must be one of the transition table's
 * (src/jobtree/states.ts), or it is no message of a jobtree script.
 */
import { expect } from 'chai';
import { newId } from '../../src/shared/ids.js';
import { decodeStatusEvent } from '../../src/store/codec.js';

describe('store: status messages', () => {
  const event = (prev: string | null, state: string) =>
    JSON.stringify({ root: newId(), job: newId(), prev, state, seq: 1, at: 1, node: 'n1' });

  it('reads the moves of the transition table, a retry and a new job included', () => {
    expect(decodeStatusEvent(event('QUEUED', 'RUNNING'))?.state).to.equal('RUNNING');
    expect(decodeStatusEvent(event('RUNNING', 'QUEUED'))?.state).to.equal('QUEUED');
    expect(decodeStatusEvent(event(null, 'WAITING'))?.state).to.equal('WAITING');
  });

  it('drops a move no script makes', () => {
    expect(decodeStatusEvent(event('SUCCESS', 'RUNNING'))).to.equal(null);
    expect(decodeStatusEvent(event('WAITING', 'SUCCESS'))).to.equal(null);
    expect(decodeStatusEvent(event(null, 'RUNNING'))).to.equal(null);
  });
});
