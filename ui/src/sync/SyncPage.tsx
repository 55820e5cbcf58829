// stub
export function SyncPage(_props: Record<string, unknown>) { return <h1>SyncPage</h1>; }
