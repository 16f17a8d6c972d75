import type { ComponentChildren, JSX } from "preact";
import { currentPath, href, navigate } from "./router.ts";

type LinkProps = Omit<JSX.HTMLAttributes<HTMLAnchorElement>, "href"> & {
  /** An app path: "/regions/84". */
  to: string;
  children?: ComponentChildren;
};

/** An in-app link: a real <a href> (new tab works), navigated by the router on a plain click. */
export function Link({ to, children, ...rest }: LinkProps) {
  const current = currentPath.value === to;
  return (
    <a
      {...rest}
      href={href(to)}
      aria-current={current ? "page" : undefined}
      onClick={(event) => {
        if (
          event.defaultPrevented ||
          event.button !== 0 ||
          event.metaKey ||
          event.ctrlKey ||
          event.shiftKey ||
          event.altKey
        ) {
          return;
        }
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
