import { expect } from 'chai';
import { ClaimLedger } from '../../src/node-agent/claim-ledger.js';

describe('node-agent: the claim ledger', () => {
  it('runs no adoption while a fill or an unsettled end may hold a claim', async () => {
    const ledger = new ClaimLedger();
    let adopted = 0;
    const adopt = async (): Promise<void> => void adopted++;

    ledger.fillStarts();
    expect(await ledger.alone(adopt)).to.equal(false);
    ledger.fillDone();
    ledger.endReported('j1');
    expect(await ledger.alone(adopt)).to.equal(false);
    ledger.endHandedOver('j1');
    expect(await ledger.alone(adopt)).to.equal(true);
    expect(adopted).to.equal(1);
  });

  it('holds ends back and refuses fills while an adoption runs', async () => {
    const ledger = new ClaimLedger();
    let finish: () => void = () => undefined;
    const order: string[] = [];
    const adoption = ledger.alone(async () => {
      await new Promise<void>((r) => (finish = r));
      order.push('adopted');
    });
    expect(ledger.adopting).to.equal(true);
    expect(() => ledger.fillStarts()).to.throw(/during an adoption/);
    const end = ledger.afterAdoption().then(() => order.push('end sent'));
    await Promise.resolve();
    expect(order).to.deep.equal([]);
    finish();
    await Promise.all([adoption, end]);
    expect(order).to.deep.equal(['adopted', 'end sent']);
    expect(ledger.quiet).to.equal(true);
  });
});
