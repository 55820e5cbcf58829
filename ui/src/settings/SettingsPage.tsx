// stub
export function SettingsPage(_props: Record<string, unknown>) { return <h1>SettingsPage</h1>; }
