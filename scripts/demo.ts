// The project's main job. Until the cluster demo lands (it needs @statemesh/session), this shows what the hybrid
// logical clock does for replication: causally ordered timestamps that stay close to wall time, never go backwards,
// and refuse a peer whose clock runs too far ahead.
import { HybridClock, format, pack } from '@statemesh/hlc';
import { isStatemeshError } from '@statemesh/contracts';

const step = (title: string) => console.log(`\n== ${title}`);
let physical = Date.now();
const laptop = new HybridClock({ now: () => physical });
const server = new HybridClock({ now: () => physical - 250 }); // this one's wall clock runs 250 ms behind

step('1. local events get strictly increasing timestamps, even within one millisecond');
for (let i = 0; i < 3; i++) {
  const t = laptop.now();
  console.log(`   laptop.now() -> ${format(t)}  (wall ${t.wallMs}, logical ${t.logical}, packed ${pack(t)})`);
}

step('2. a message carries its timestamp; the receiver moves past it, whatever its own clock says');
const sent = laptop.now();
const received = server.update(sent);
console.log(`   sent     ${format(sent)}`);
console.log(`   received ${format(received)}  (server wall clock is 250 ms behind, yet received > sent)`);

step('3. the physical clock jumps back 5 s: timestamps still never go backwards');
const before = laptop.now();
physical -= 5_000;
const after = laptop.now();
console.log(`   before ${format(before)}\n   after  ${format(after)}  (after > before: ${pack(after) > pack(before)})`);

step('4. a peer 10 minutes in the future is refused instead of dragging every clock forward');
try {
  laptop.update({ wallMs: physical + 10 * 60_000, logical: 0 });
  console.log('   accepted (unexpected)');
  process.exitCode = 1;
} catch (error) {
  if (!isStatemeshError(error, 'CLOCK_DRIFT')) throw error;
  console.log(`   refused: ${error.code}: ${error.message}`);
}

console.log('\nhlc demo: done');
