/**
 * Entry of the built-in web client (`web-client.md`): renders the application into `#app`.
 */
import { render } from 'preact';
import { App } from './ui/App.js';
import './styles.css';

render(<App />, document.getElementById('app')!);
