// stub
export function CaseReviewPage(_props: Record<string, unknown>) { return <h1>CaseReviewPage</h1>; }
