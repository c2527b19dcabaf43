// Mocha's Spec reporter plus the closing line CI reads:
// "N passed, N failed, N skipped" alone on the last line (NOTES: CI).
'use strict';
const Mocha = require('mocha');

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || {};
      // Spec registered its epilogue first, so this is the last line
      process.stdout.write(
        `\n${s.passes || 0} passed, ${s.failures || 0} failed, ${s.pending || 0} skipped\n`,
      );
    });
  }
}

module.exports = SummaryReporter;
