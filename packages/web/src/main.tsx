import { render } from "preact";

// Boot: replaced by the app shell (src/app/).
render(<p>Maillage</p>, document.getElementById("app") as HTMLElement);
