// stub
export function MyQueuePage(_props: Record<string, unknown>) { return <h1>MyQueuePage</h1>; }
