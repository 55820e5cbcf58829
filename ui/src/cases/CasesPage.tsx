// stub
export function CasesPage(_props: Record<string, unknown>) { return <h1>CasesPage</h1>; }
