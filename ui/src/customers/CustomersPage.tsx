// stub
export function CustomersPage(_props: Record<string, unknown>) { return <h1>CustomersPage</h1>; }
