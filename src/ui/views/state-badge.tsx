/**
 * A state in colour and in words (never colour alone); a paused running
 * tree says so beside it (a live row may still carry the flag once it ended).
 */
export function StateBadge(props: { state: string; paused?: boolean }) {
  return (
    <>
      <span class={`badge state-${props.state}`}>{props.state}</span>
      {props.paused && props.state === 'RUNNING' && <span class="badge paused">PAUSED</span>}
    </>
  );
}
