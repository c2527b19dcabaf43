/** A state in colour and in words (never colour alone). */
export function StateBadge(props: { state: string }) {
  return <span class={`badge state-${props.state}`}>{props.state}</span>;
}
