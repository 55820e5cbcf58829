// Keeps one broken page from blanking the whole window: the navigation stays usable and the
// page says what happened in words, with a way back.
import { Component, type ReactNode } from 'react';

type Props = { children: ReactNode; resetKey: string };
type State = { failed: boolean };

export class PageBoundary extends Component<Props, State> {
  override state: State = { failed: false };

  static getDerivedStateFromError(): State {
    return { failed: true };
  }

  override componentDidUpdate(previous: Props) {
    // Moving to another page gives it a fresh start.
    if (previous.resetKey !== this.props.resetKey && this.state.failed) this.setState({ failed: false });
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <div className="empty-state" role="alert" data-testid="page-error">
        <h2>This page could not be shown</h2>
        <p>Something in it failed to draw. Your data is safe; open another page or reload the window.</p>
      </div>
    );
  }
}
