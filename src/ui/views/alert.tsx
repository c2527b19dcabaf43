/** An error said plainly, announced to screen readers; nothing when there is none. */
export function Alert(props: { message: string | null }) {
  if (!props.message) return null;
  return (
    <p class="error" role="alert">
      {props.message}
    </p>
  );
}
