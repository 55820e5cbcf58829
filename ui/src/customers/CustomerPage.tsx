// stub
export function CustomerPage(_props: Record<string, unknown>) { return <h1>CustomerPage</h1>; }
