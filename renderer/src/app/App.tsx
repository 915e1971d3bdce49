export function App(): React.JSX.Element {
  return (
    <main>
      <h1>Purchase Import Console</h1>
      <p>Open a purchase CSV to preview it. The full console arrives with the desktop issue.</p>
    </main>
  );
}
