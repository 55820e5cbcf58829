// stub
export function Dashboard(_props: Record<string, unknown>) { return <h1>Dashboard</h1>; }
