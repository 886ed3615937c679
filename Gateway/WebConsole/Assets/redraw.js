// A part of a page drawn again only when what it shows changed, so that a periodic read neither takes the keyboard's
// focus from a control inside it nor scrolls a table the operator is reading back to its start.

/** A drawer for container: drawer(content, build) replaces its children with build() unless content is as last drawn. */
export function redrawOnChange(container) {
  let drawn;
  return (content, build) => {
    const fingerprint = JSON.stringify(content);
    if (fingerprint === drawn) return;
    drawn = fingerprint;
    container.replaceChildren(...[build()].flat());
  };
}
